#!/usr/bin/env python3
"""One-off builder of places/data/localities.csv (run once, 2026-11-29; kept for provenance).

Reads the GeoNames extract ../shared/data/geo/localities.csv, gives each row a readable English
name, a kind where this project is sure of it, fixes and extra spellings (aliases), adds the
places agencies write that the extract lacks (UNRWA camps, towns, areas), and assigns the stable
codes. After this first run the CSV is the source of truth and is edited by hand: a code, once
published, never changes, so do NOT re-run this over an edited file.
"""
import csv, re, sys, unicodedata

SRC = sys.argv[1] if len(sys.argv) > 1 else "../../../shared/data/geo/localities.csv"
OUT = sys.argv[2] if len(sys.argv) > 2 else "../data/localities.csv"

# GeoNames rows: (governorate, GeoNames ASCII name) -> (English name or None, kind or None,
# Arabic name fix or None, extra aliases)
O = {
 # Bethlehem
 ("PS-BTH", "Ad Dawhah"): ("Ad-Doha", "town", None, ["Al-Doha", "Doha", "Dawha"]),
 ("PS-BTH", "Al `Ubaydiyah"): ("Al-Ubeidiya", "town", None, ["Ubeidiya", "Al Ubaydiya", "Obeidiya", "العبيدية"]),
 ("PS-BTH", "Al Khadir"): ("Al-Khader", "town", None, ["Al Khader", "Khader", "El Khader", "Al-Khadr"]),
 ("PS-BTH", "Bayt Fajjar"): ("Beit Fajjar", "town", None, []),
 ("PS-BTH", "Bayt Jala"): ("Beit Jala", "city", None, ["Beit Jala City"]),
 ("PS-BTH", "Bayt Sahur"): ("Beit Sahour", "city", None, ["Beit Sahur", "Bait Sahour"]),
 ("PS-BTH", "Bayt Ta`mar"): ("Beit Ta'mar", None, None, []),
 ("PS-BTH", "Bethlehem"): ("Bethlehem", "city", None, ["Bethlehem City", "Beit Lahm", "Bayt Lahm", "Bait Lahm", "مدينة بيت لحم"]),
 ("PS-BTH", "Husan"): ("Husan", None, None, ["Housan"]),
 ("PS-BTH", "Nahhalin"): ("Nahalin", None, None, ["Nahhalin"]),
 ("PS-BTH", "Za`tarah"): ("Za'tara", None, None, ["Zaatara", "Zatara"]),
 # Deir al-Balah
 ("PS-DEB", "Al Burayj"): ("Al-Bureij", "town", None, ["Bureij", "Al Bureij", "El Bureij", "Breij"]),
 ("PS-DEB", "Al Musaddar"): ("Al-Musaddar", None, None, ["Musaddar", "Al Mosadar"]),
 ("PS-DEB", "An Nusayrat"): ("An-Nuseirat", "town", None, ["Nuseirat", "Nusairat", "Al Nuseirat", "Nuseirat Town", "Nusseirat"]),
 ("PS-DEB", "Az Zuwaydah"): ("Az-Zawayda", "town", None, ["Zawayda", "Zawaideh", "Al Zawaida", "Az Zawaida", "Zuwaida", "Zawaida"]),
 ("PS-DEB", "Dayr al Balah"): ("Deir al-Balah", "city", None, ["Deir El Balah", "Deir Al Balah", "Deir Elbalah", "Deir Albalah", "Dair al-Balah", "Deir Balah", "ديرالبلح", "Deir al-Balah City"]),
 ("PS-DEB", "Wadi as Salqa"): ("Wadi as-Salqa", None, None, ["Wadi Salqa", "Wadi al-Salqa"]),
 # Gaza
 ("PS-GZA", "Al Mughraqah"): ("Al-Mughraqa", None, None, ["Mughraqa", "Al Moghraqa", "Abu Middein"]),
 ("PS-GZA", "Gaza"): ("Gaza", "city", None, ["Gaza City", "Ghaza", "Ghazzah", "Gazza", "غزه", "مدينة غزة"]),
 ("PS-GZA", "Juhr ad Dik"): ("Juhor ad-Dik", None, None, ["Juhr ad-Dik", "Johr al-Dik", "Juhor al-Dik", "Juhr al Deek"]),
 # Hebron
 ("PS-HBN", "As Samu`"): ("As-Samu", "town", None, ["as-Samu'", "Samu", "As Samou", "Al-Samu", "Es Samu", "Samoa", "Al Samou"]),
 ("PS-HBN", "Az Zahiriyah"): ("Adh-Dhahiriya", "town", None, ["adh-Dhahiriya", "Dhahiriya", "Al Dhahiriya", "Az Zahiriya", "Dhahriya", "Al-Thahiriya", "Thahriya", "Dahriyeh", "الظاهريه"]),
 ("PS-HBN", "Bani Na`im"): ("Bani Na'im", "town", None, ["Bani Naim", "Beni Naim", "Bani Nayim", "Bani Neim"]),
 ("PS-HBN", "Bayt `Awwa"): ("Beit Awwa", "town", None, ["Beit Awa"]),
 ("PS-HBN", "Bayt Kahil"): ("Beit Kahil", None, None, []),
 ("PS-HBN", "Bayt Ula"): ("Beit Ula", "town", None, ["Beit Oula"]),
 ("PS-HBN", "Bayt Ummar"): ("Beit Ummar", "town", None, ["Beit Omar", "Beit Umar"]),
 ("PS-HBN", "Dura"): ("Dura", "city", None, ["Dura City", "Doura", "Dora", "Dura al-Khalil"]),
 ("PS-HBN", "Halhul"): ("Halhul", "city", None, ["Halhoul", "Hulhul"]),
 ("PS-HBN", "Hebron"): ("Hebron", "city", None, ["Hebron City", "Al-Khalil", "Al Khalil", "El Khalil", "Khalil", "Alkhalil", "مدينة الخليل"]),
 ("PS-HBN", "Idhna"): ("Idhna", "town", None, ["Idna", "Ithna", "Edhna", "اذنا"]),
 ("PS-HBN", "Sa`ir"): ("Sa'ir", "town", None, ["Sair", "Saeer", "Si'ir", "Seir"]),
 ("PS-HBN", "Shuyukh al `Arrub"): ("Shuyukh al-Arrub", None, None, []),
 ("PS-HBN", "Surif"): ("Surif", "town", None, ["Soureef"]),
 ("PS-HBN", "Tarqumya"): ("Tarqumiya", "town", None, ["Tarqumia", "Tarqumiyah", "Tarkumia", "Tarqumya"]),
 ("PS-HBN", "Taffuh"): ("Taffuh", None, None, ["Tafuh"]),
 ("PS-HBN", "Yuta"): ("Yatta", "city", None, ["Yata", "Yutta", "Yuta", "Yatta City", "Yattah", "مدينة يطا"]),
 # Jerusalem
 ("PS-JEM", "`Anata"): ("Anata", "town", None, ["Anata", "'Anata"]),
 ("PS-JEM", "Abu Dis"): ("Abu Dis", "town", None, ["Abu Deis", "Abudis", "ابوديس"]),
 ("PS-JEM", "Al `Ayzariyah"): ("Al-Eizariya", "town", None, ["Eizariya", "Al Eizariya", "Azariya", "Al-Azariya", "Bethany", "Aizariya", "العيزريه"]),
 ("PS-JEM", "Ar Ram wa Dahiyat al Barid"): ("Ar-Ram", "town", None, ["Al-Ram", "Al Ram", "Ar Ram", "A-Ram", "Dahiyat al-Barid", "Ar Ram wa Dahiyat al Barid", "الرام", "ضاحية البريد"]),
 ("PS-JEM", "Bir Nabala"): ("Bir Nabala", None, None, ["Beer Nabala"]),
 ("PS-JEM", "Biddu"): ("Biddu", None, None, ["Beddu"]),
 ("PS-JEM", "East Jerusalem"): ("East Jerusalem", None, None, ["القدس الشرقية", "Al-Quds al-Sharqiya", "E. Jerusalem", "Jerusalem J1", "Jerusalem City", "Jerusalem", "Al-Quds", "Al Quds", "القدس", "مدينة القدس"]),
 ("PS-JEM", "Hizma"): ("Hizma", None, None, ["Hezma"]),
 ("PS-JEM", "Qalandiya"): ("Qalandiya", None, None, ["Qalandia", "Kalandia", "Qalandiya village", "Qalandiya Village"]),
 ("PS-JEM", "Qatanah"): ("Qatanna", None, None, ["Qatanna", "Qatanah", "قطنة"]),
 ("PS-JEM", "Bayt Surik"): ("Beit Surik", None, None, []),
 ("PS-JEM", "Bayt Iksa"): ("Beit Iksa", None, None, []),
 # Jenin
 ("PS-JEN", "`Arrabah"): ("Arraba", "town", None, ["Arrabeh", "Arabeh", "Arrabah", "Arraba Jenin"]),
 ("PS-JEN", "Al Fandaqumiyah"): ("Al-Fandaqumiya", None, "الفندقومية", ["Fandaqumiya", "الفتدقومية"]),
 ("PS-JEN", "Al Yamun"): ("Al-Yamun", "town", None, ["Yamun", "Al Yamoun", "El Yamun", "اليامون"]),
 ("PS-JEN", "Az Zababidah"): ("Az-Zababdeh", None, None, ["Zababdeh", "Zababida", "Al Zababdeh"]),
 ("PS-JEN", "Birqin"): ("Burqin", None, None, ["Burqin", "Birqin"]),
 ("PS-JEN", "Janin"): ("Jenin", "city", None, ["Jenin City", "Janin", "Jinin", "Jeneen", "مدينة جنين"]),
 ("PS-JEN", "Kafr Ra`i"): ("Kafr Ra'i", None, None, ["Kafr Rai"]),
 ("PS-JEN", "Maythalun"): ("Meithalun", None, None, ["Meithaloun", "Maythalun"]),
 ("PS-JEN", "Qabatiyah"): ("Qabatiya", "city", None, ["Qabatiyah", "Qabatia", "Kabatiya", "Qabatya"]),
 ("PS-JEN", "Silat al Harithiyah"): ("Silat al-Harithiya", "town", None, ["Silat al Harithiya", "Sileh al-Harithiya"]),
 ("PS-JEN", "Silat az Zahr"): ("Silat adh-Dhahr", "town", None, ["Silat al-Dhaher", "Silat ad Dhahr", "Silet adh-Dhahr"]),
 ("PS-JEN", "Ya`bad"): ("Ya'bad", "town", None, ["Yabad", "Yaabad", "Ya'bad Town"]),
 # Jericho
 ("PS-JRH", "Al `Awja"): ("Al-Auja", None, None, ["Auja", "Al Auja", "Al-Awja", "Al Ouja"]),
 ("PS-JRH", "Al Fasayil"): ("Fasayil", None, None, ["Fasayel", "Al Fasayil"]),
 ("PS-JRH", "Al Jiftlik"): ("Al-Jiftlik", None, None, ["Jiftlik", "Al Jiftlik"]),
 ("PS-JRH", "An Nuway`imah"): ("An-Nuway'ima", None, None, ["Nuweima", "Al Nuway'ima"]),
 ("PS-JRH", "Az Zubaydat"): ("Az-Zubeidat", None, None, ["Zubeidat"]),
 ("PS-JRH", "Jericho"): ("Jericho", "city", None, ["Jericho City", "Ariha", "Areeha", "Eriha", "اريحا", "مدينة أريحا"]),
 # Khan Yunis
 ("PS-KYS", "`Abasan al Jadidah"): ("Abasan al-Jadida", "town", None, ["Abasan al-Saghira", "Abasan Al Jadida", "Abasan Saghira", "New Abasan", "Small Abasan", "عبسان الصغيره"]),
 ("PS-KYS", "`Abasan al Kabirah"): ("Abasan al-Kabira", "town", None, ["Abasan", "Abasan Al Kabira", "Abasan Kabira", "Big Abasan", "عبسان", "عبسان الكبيره"]),
 ("PS-KYS", "Al Fukhkhari"): ("Al-Fukhari", None, None, ["Fukhari", "Al Fukhari", "Al Fukhkhari"]),
 ("PS-KYS", "Al Qararah"): ("Al-Qarara", "town", None, ["Qarara", "Al Qarara", "Al Qararah", "El Qarara"]),
 ("PS-KYS", "Bani Suhayla"): ("Bani Suheila", "city", None, ["Bani Suhaila", "Bani Suhayla", "Bani Sohaila", "Bani Suhila", "Beni Suheila", "Bani Sheila", "بني سهيله"]),
 ("PS-KYS", "Khan Yunis"): ("Khan Younis", "city", None, ["Khan Yunis", "Khan Younes", "Khan Yunes", "Khan Yonis", "Khanyounis", "Khanyunis", "Khan-Younis", "Khan Yunus", "Khan Younis City", "خانيونس", "خانيونيس", "مدينة خان يونس"]),
 ("PS-KYS", "Khuza`ah"): ("Khuza'a", "town", None, ["Khuzaa", "Khuza'ah", "Khozaa", "Khouza'a"]),
 # Nablus
 ("PS-NBS", "`Aqraba"): ("Aqraba", "town", None, ["Aqrabaa"]),
 ("PS-NBS", "`Asirah ash Shamaliyah"): ("Asira ash-Shamaliya", "town", None, ["Asira al-Shamaliya", "Asira Shamaliya"]),
 ("PS-NBS", "`Awarta"): ("Awarta", None, None, []),
 ("PS-NBS", "Balatah"): ("Balata", None, "بلاطة", ["Balata al-Balad", "Balata Village", "بلاطة البلد"]),
 ("PS-NBS", "Bayta al Fawqa"): ("Beita", "town", "بيتا", ["Beita", "Bayta", "Beita al-Fauqa", "بيتا الفوقا"]),
 ("PS-NBS", "Bayt Furik"): ("Beit Furik", "town", None, ["Beit Foreek", "Beit Fourik"]),
 ("PS-NBS", "Burin"): ("Burin", None, None, ["Bourin"]),
 ("PS-NBS", "Domea"): ("Duma", None, None, ["Douma", "Domea", "Dumah"]),
 ("PS-NBS", "Huwwarah"): ("Huwwara", "town", None, ["Huwara", "Hawara", "Howara", "Huwwarah", "حواره"]),
 ("PS-NBS", "Nablus"): ("Nablus", "city", None, ["Nablus City", "Nabulus", "Naplouse", "Nablous", "نابلوس", "مدينة نابلس"]),
 ("PS-NBS", "Sabastiyah"): ("Sebastia", None, None, ["Sebastiya", "Sabastiya", "Sebastiyah", "Sebastya"]),
 ("PS-NBS", "Talluzah"): ("Talluza", None, None, []),
 ("PS-NBS", "Till"): ("Tell", None, None, ["Tal", "Till", "Tell Nablus"]),
 ("PS-NBS", "Usarin"): ("Osarin", None, None, ["Usarin", "Awsarin"]),
 # North Gaza
 ("PS-NGZ", "Bayt Hanun"): ("Beit Hanoun", "city", None, ["Beit Hanun", "Bait Hanoun", "Beit Hanon", "Bayt Hanun", "Beithanoun", "بيتحانون"]),
 ("PS-NGZ", "Bayt Lahya"): ("Beit Lahia", "city", None, ["Beit Lahiya", "Beit Lahya", "Bait Lahia", "Beit Lahiyah", "Beitlahia", "Bayt Lahya", "بيت لاهية", "بيتلاهيا"]),
 ("PS-NGZ", "Jabalya"): ("Jabalia", "city", None, ["Jabalya", "Jabaliya", "Jabaliyah", "Jabalia Town", "Jabalia al-Balad", "Jabalia Al Nazla", "Jabalia an-Nazla", "جباليا البلد", "جباليا النزلة"]),
 ("PS-NGZ", "Umm an Nasr"): ("Umm an-Nasr", None, None, ["Umm al-Nasr", "Um Al Nasser", "Bedouin Village", "Al Qarya al-Badawiya", "القرية البدوية"]),
 # Qalqilya
 ("PS-QQA", "`Azzun"): ("Azzun", "town", None, ["Azzoun", "Azun"]),
 ("PS-QQA", "Azun Atme"): ("Azzun Atma", None, "عزون عتمة", ["Azun Atme", "Azzun 'Atma"]),
 ("PS-QQA", "Hablah"): ("Habla", None, None, ["Hableh"]),
 ("PS-QQA", "Jayyus"): ("Jayyus", None, None, ["Jayyous", "Jayous"]),
 ("PS-QQA", "Qalqilyah"): ("Qalqilya", "city", None, ["Qalqiliya", "Qalqilia", "Kalkilya", "Qalqilya City", "قلقيليه", "مدينة قلقيلية"]),
 # Ramallah and al-Bireh
 ("PS-RBH", "Al Birah"): ("Al-Bireh", "city", None, ["Al Bireh", "El Bireh", "Bireh", "Al-Bira", "Albireh", "البيره"]),
 ("PS-RBH", "Baytunya"): ("Beitunia", "city", None, ["Beituniya", "Betunia", "Baytunya", "Beitounia"]),
 ("PS-RBH", "Bir Zayt"): ("Birzeit", "town", None, ["Bir Zeit", "Bir Zayt", "Birzeit Town", "بيرزيت"]),
 ("PS-RBH", "Bil`in"): ("Bil'in", None, None, ["Bilin", "Bil'in"]),
 ("PS-RBH", "Kubar"): ("Kobar", None, None, ["Kober", "Kubar"]),
 ("PS-RBH", "Ni`lin"): ("Ni'lin", None, None, ["Nilin", "Naalin"]),
 ("PS-RBH", "Ramallah"): ("Ramallah", "city", None, ["Ramallah City", "Ramalla", "Ram Allah", "راماللة", "مدينة رام الله"]),
 ("PS-RBH", "Silwad"): ("Silwad", "town", None, ["Selwad"]),
 ("PS-RBH", "Sinjil"): ("Sinjil", "town", None, ["Sinjel"]),
 ("PS-RBH", "Turmus`ayya"): ("Turmus Ayya", "town", None, ["Turmusayya", "Turmus'ayya", "Turmusaya", "ترمس عيا"]),
 ("PS-RBH", "Bani Zayd"): ("Bani Zeid", None, None, ["Bani Zaid", "Bani Zayd"]),
 ("PS-RBH", "Dayr Jarir"): ("Deir Jarir", None, None, []),
 ("PS-RBH", "Al Ittihad"): ("Al-Ittihad", None, None, ["Beitillu", "Beit Illu"]),
 ("PS-RBH", "Az Zaytuniyah"): ("Az-Zaytuniya", None, None, ["Al-Mazra'a al-Qibliya", "Mazraa Qibliya"]),
 # Rafah
 ("PS-RFH", "An Nasr"): ("An-Nasr", None, None, ["Al-Nasr", "Al Nasser", "Al-Bayuk", "Al-Bayouk"]),
 ("PS-RFH", "Rafah"): ("Rafah", "city", None, ["Rafah City", "Rafa", "مدينة رفح"]),
 ("PS-RFH", "Shukat as Sufi"): ("Shokat as-Sufi", None, None, ["Shoka", "Al-Shokat", "Shokat al-Sufi", "Shouka", "الشوكة"]),
 # Salfit
 ("PS-SLT", "Bidya"): ("Biddya", "town", None, ["Bidya", "Biddia"]),
 ("PS-SLT", "Kifil Haris"): ("Kifl Haris", None, None, ["Kifl Hares", "Kafl Haris"]),
 ("PS-SLT", "Rafat"): ("Rafat", None, "رافات", []),
 ("PS-SLT", "Salfit"): ("Salfit", "city", None, ["Salfit City", "Salfeet", "مدينة سلفيت"]),
 ("PS-SLT", "Dayr Istiya"): ("Deir Istiya", None, None, []),
 ("PS-SLT", "Qarawat Bani Hasan"): ("Qarawat Bani Hassan", None, None, []),
 # Tubas
 ("PS-TBS", "Tammun"): ("Tammun", "town", None, ["Tamoun", "Tammoun"]),
 ("PS-TBS", "Tubas"): ("Tubas", "city", None, ["Tubas City", "Toubas", "Tobas", "مدينة طوباس"]),
 ("PS-TBS", "`Ayn al Bayda"): ("Ein al-Beida", None, None, ["Ein el-Beida", "Ain al Beida"]),
 # Tulkarm
 ("PS-TKM", "`Anabta"): ("Anabta", "town", None, ["Anabtā", "Enabta"]),
 ("PS-TKM", "`Attil"): ("Attil", "town", None, ["Atteel", "Allar"]),
 ("PS-TKM", "`Illar"): ("Illar", "town", None, ["Allar", "Elar"]),
 ("PS-TKM", "Bal`a"): ("Bal'a", "town", None, ["Balaa", "Bala"]),
 ("PS-TKM", "Dayr al Ghusun"): ("Deir al-Ghusun", "town", None, ["Deir al Ghusoun", "Deir Ghusun"]),
 ("PS-TKM", "Dhannabah"): ("Dhinnaba", None, "ذنابة", ["Thinnaba", "Dhannabah"]),
 ("PS-TKM", "Qaffin"): ("Qaffin", None, "قفين", ["فقين"]),
 ("PS-TKM", "Tulkarm"): ("Tulkarm", "city", None, ["Tulkarem", "Tul Karm", "Tulkarm City", "Tulkarim", "طول كرم", "مدينة طولكرم"]),
 ("PS-TKM", "Zayta"): ("Zeita", None, None, ["Zeita", "Zayta"]),
}
# "Allar" is written for Illar (علار); not for Attil.
O[("PS-TKM", "`Attil")] = ("Attil", "town", None, ["Atteel"])

# Places this project adds: (governorate, English name, kind, Arabic name, aliases)
ADDED = [
 # UNRWA camps, West Bank (19)
 ("PS-BTH", "Aida Camp", "camp", "مخيم عايدة", ["Aida", "Ayda Camp", "Aida Refugee Camp", "عايدة"]),
 ("PS-BTH", "Azza Camp", "camp", "مخيم العزة", ["Azza", "Al-Azza Camp", "Beit Jibrin Camp", "Beit Jibrin", "Al Azzeh Camp", "Azzeh Camp", "مخيم بيت جبرين", "العزة", "بيت جبرين"]),
 ("PS-BTH", "Dheisheh Camp", "camp", "مخيم الدهيشة", ["Dheisheh", "Deheisheh Camp", "Dheisha Camp", "Duheisha Camp", "Dheishe Camp", "الدهيشة"]),
 ("PS-HBN", "Arroub Camp", "camp", "مخيم العروب", ["Al-Arroub Camp", "Arroub", "Al Aroub Camp", "Aroub Camp", "العروب"]),
 ("PS-HBN", "Fawwar Camp", "camp", "مخيم الفوار", ["Al-Fawwar Camp", "Fawwar", "Al Fawwar", "Fawar Camp", "الفوار"]),
 ("PS-RBH", "Jalazone Camp", "camp", "مخيم الجلزون", ["Jalazone", "Al-Jalazone Camp", "Jalazon Camp", "Jalazoun Camp", "الجلزون"]),
 ("PS-RBH", "Am'ari Camp", "camp", "مخيم الأمعري", ["Amari Camp", "Al-Am'ari Camp", "Al Amari Camp", "Am'ari", "Amari", "الأمعري", "الامعري"]),
 ("PS-JEM", "Kalandia Camp", "camp", "مخيم قلنديا", ["Qalandiya Camp", "Qalandia Camp", "Kalandia Refugee Camp"]),
 ("PS-RBH", "Deir Ammar Camp", "camp", "مخيم دير عمار", ["Deir Amar Camp", "Dayr Ammar Camp"]),
 ("PS-JEM", "Shu'fat Camp", "camp", "مخيم شعفاط", ["Shuafat Camp", "Shufat Camp", "Shoafat Camp", "Shu'fat Refugee Camp"]),
 ("PS-JRH", "Aqbat Jabr Camp", "camp", "مخيم عقبة جبر", ["Aqabat Jabr Camp", "Aqbat Jaber Camp", "Aqabat Jaber Camp", "Aqbat Jabr", "Aqabat Jabr", "عقبة جبر"]),
 ("PS-JRH", "Ein as-Sultan Camp", "camp", "مخيم عين السلطان", ["Ein Sultan Camp", "Ein es-Sultan Camp", "Ein al-Sultan Camp", "Ain as-Sultan Camp", "Ein as-Sultan", "Ein Sultan", "عين السلطان"]),
 ("PS-NBS", "Askar Camp", "camp", "مخيم عسكر", ["Askar", "Old Askar Camp", "Askar Refugee Camp", "عسكر"]),
 ("PS-NBS", "Balata Camp", "camp", "مخيم بلاطة", ["Balata Refugee Camp", "Balatah Camp"]),
 ("PS-NBS", "Camp No. 1", "camp", "مخيم رقم 1", ["Camp No 1", "Camp Number 1", "Camp Number One", "Camp 1", "Ein Beit al-Ma Camp", "Ein Beit el Ma Camp", "Ain Beit al-Ma", "مخيم العين", "مخيم عين بيت الماء", "عين بيت الماء", "مخيم رقم واحد"]),
 ("PS-TKM", "Nur Shams Camp", "camp", "مخيم نور شمس", ["Nur Shams", "Nour Shams Camp", "Noor Shams Camp", "نور شمس"]),
 ("PS-TKM", "Tulkarm Camp", "camp", "مخيم طولكرم", ["Tulkarem Camp", "Tulkarm Refugee Camp", "Tul Karm Camp"]),
 ("PS-TBS", "Far'a Camp", "camp", "مخيم الفارعة", ["Al-Far'a Camp", "Faraa Camp", "Al Faraa Camp", "Far'a", "Al-Far'a", "Fara Camp", "الفارعة"]),
 ("PS-JEN", "Jenin Camp", "camp", "مخيم جنين", ["Jenin Refugee Camp", "Janin Camp"]),
 # UNRWA camps, Gaza Strip (8)
 ("PS-NGZ", "Jabalia Camp", "camp", "مخيم جباليا", ["Jabalya Camp", "Jabaliya Camp", "Jabalia Refugee Camp", "Jabalia RC"]),
 ("PS-GZA", "Beach Camp", "camp", "مخيم الشاطئ", ["Shati Camp", "Al-Shati Camp", "Ash-Shati Camp", "Shati", "Al Shati", "Beach Refugee Camp", "Shatea Camp", "Shate' Camp", "الشاطئ", "الشاطىء", "مخيم الشاطىء", "مخيم الشاطي"]),
 ("PS-DEB", "Nuseirat Camp", "camp", "مخيم النصيرات", ["Nusairat Camp", "Nusseirat Camp", "An-Nuseirat Camp", "Nuseirat Refugee Camp"]),
 ("PS-DEB", "Bureij Camp", "camp", "مخيم البريج", ["Al-Bureij Camp", "Breij Camp", "Bureij Refugee Camp"]),
 ("PS-DEB", "Maghazi Camp", "camp", "مخيم المغازي", ["Al-Maghazi Camp", "Maghazi", "Al-Maghazi", "Al Maghazi", "Mughazi Camp", "المغازي"]),
 ("PS-DEB", "Deir al-Balah Camp", "camp", "مخيم دير البلح", ["Deir El Balah Camp", "Deir Al Balah Camp", "Deir Balah Camp"]),
 ("PS-KYS", "Khan Younis Camp", "camp", "مخيم خان يونس", ["Khan Yunis Camp", "Khanyounis Camp", "Khan Younes Camp", "مخيم خانيونس"]),
 ("PS-RFH", "Rafah Camp", "camp", "مخيم رفح", ["Rafah Refugee Camp"]),
 # Towns and villages missing from the extract
 ("PS-BTH", "Tuqu'", "town", "تقوع", ["Tuqu", "Tuqua", "Teqoa", "Taqou"]),
 ("PS-BTH", "Al-Walaja", "village", "الولجة", ["Walaja", "Al Walaja", "Walajeh"]),
 ("PS-JEM", "Kafr Aqab", "town", "كفر عقب", ["Kafr 'Aqab", "Kufr Aqab", "Kafr Akab"]),
 ("PS-RBH", "Beit Rima", "village", "بيت ريما", ["Bayt Rima", "Beit Reema"]),
 ("PS-RBH", "Deir Ghassana", "village", "دير غسانة", ["Dayr Ghassana", "Deir Ghassaneh"]),
 ("PS-RBH", "Kafr Ni'ma", "village", "كفر نعمة", ["Kafr Nima", "Kafr Ne'meh", "Kufr Nima"]),
 ("PS-RBH", "Deir Ammar", "village", "دير عمار", ["Dayr Ammar", "Deir Amar"]),
 ("PS-TBS", "Aqqaba", "town", "عقابا", ["Aqaba", "Aqqabah", "Akkaba"]),
 ("PS-GZA", "Az-Zahra", "town", "الزهراء", ["Al-Zahra", "Madinat az-Zahra", "Zahra City", "Az Zahra", "مدينة الزهراء"]),
 ("PS-KYS", "Al-Mawasi (Khan Younis)", "unknown", "مواصي خان يونس", ["Al-Mawasi", "Mawasi", "Al Mawasi", "Mawasi Khan Younis", "Al-Mawasi Khan Yunis", "المواصي"]),
 ("PS-RFH", "Al-Mawasi (Rafah)", "unknown", "مواصي رفح", ["Al-Mawasi", "Mawasi", "Al Mawasi", "Mawasi Rafah", "المواصي"]),
]

def strip(s):
    s = s.replace("‘", "").replace("’", "").replace("`", "").replace("'", "'")
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c))

def slug(s):
    s = strip(s).upper().replace("'", "")
    s = re.sub(r"[^A-Z0-9]+", "-", s).strip("-")
    return s

rows = list(csv.DictReader(open(SRC, encoding="utf-8")))
out = []
used = set()
seen_over = set()
def code_for(gov, en):
    base = gov + "-" + slug(en)
    c, i = base, 2
    while c in used:
        c = f"{base}-{i}"; i += 1
    used.add(c)
    return c

for r in rows:
    gov = r["governorate_iso"]
    key = (gov, r["locality_en_ascii"])
    en, kind, arfix, aliases = O.get(key, (None, None, None, []))
    if key in O: seen_over.add(key)
    en = en or strip(r["locality_en"])
    ar = arfix or r["locality_ar"]
    variants = [v for v in r["locality_ar_variants"].split("|") if v]
    al = []
    for a in aliases:
        if a and a != en and a not in al: al.append(a)
    out.append(dict(code=code_for(gov, en), parent=gov, kind=kind or "unknown", name_en=en, name_ar=ar,
                    aliases="|".join(al), lat=r["lat"], lon=r["lon"], geonameid=r["geonameid"],
                    geonames_name=r["locality_en"], ar_variants="|".join(variants), source="geonames"))
missing = set(O) - seen_over
assert not missing, missing
for gov, en, kind, ar, aliases in ADDED:
    out.append(dict(code=code_for(gov, en), parent=gov, kind=kind, name_en=en, name_ar=ar, aliases="|".join(aliases),
                    lat="", lon="", geonameid="", geonames_name="", ar_variants="", source="bawaba"))
out.sort(key=lambda d: d["code"])
cols = ["code", "parent", "kind", "name_en", "name_ar", "aliases", "lat", "lon", "geonameid", "geonames_name", "ar_variants", "source"]
with open(OUT, "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(out)
print(len(out), "rows")
